module github.com/haechi-tns/haechi

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.43.0
)

require github.com/petar-dambovaliev/aho-corasick v0.0.0-20250424160509-463d218d4745 // indirect
