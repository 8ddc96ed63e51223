package links

// commonTLDs are the top-level domains a bare name (one without a scheme,
// www. or a path) may end in to count as a link: the generic ones people
// write in links, the country codes of Korea and its neighbours and of
// common link services, and the gTLDs spam favours. Country codes that
// are ordinary English or Spanish words or file extensions (it, is, in,
// at, be, to, so, no, my, us, do, es, md, py, pl, sh, rs) are left out:
// "done.it" and "README.md" are not links, though "www.done.it" and
// "done.it/x" are.
var commonTLDs = set(
	"com", "net", "org", "edu", "gov", "int", "info", "biz",
	"kr", "xn--3e0b707e", // .한국
	"jp", "cn", "tw", "hk", "vn", "th", "sg", "ph", "au", "nz", "ca", "uk", "de", "fr", "ru", "eu",
	"io", "co", "me", "ly", "gl", "gg", "tv", "cc", "ai", "la",
	"app", "dev", "page", "site", "online", "shop", "store", "xyz", "top", "club",
	"link", "click", "live", "news", "blog",
)

// strongTLDs are the only top-level domains read after ". ", which ends
// sentences far more often than it hides a name: "example. com".
var strongTLDs = set("com", "net", "org", "kr")

// stopWords are English words that, spelled out with a dot after them
// ("the dot com era"), are prose rather than a name.
var stopWords = set(
	"a", "an", "and", "are", "at", "be", "for", "i", "in", "is", "it", "its", "my", "no",
	"of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "you", "your",
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
