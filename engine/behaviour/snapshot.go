package behaviour

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// snapshotVersion is the first byte of a snapshot. Bump it whenever the
// layout below changes; Restore rejects every version but its own, so a
// worker that cannot read a snapshot starts with empty state rather than
// wrong state.
const snapshotVersion = 1

// Snapshot layout, all integers little-endian:
//
//	version   u8
//	windows   3 × i64 (ns)     must equal the restoring Senders' config
//	depth     u8               likewise
//	latest    i64              latest event time seen, Unix ns
//	count     u32
//	count records, least recently touched first:
//	  key u64, last i64, counts 3×10 × u16, head u8, simFlags u8,
//	  depth × (sim u64, exact u32, sec u32)
//	crc       u32              CRC-32 (IEEE) of everything before it
const snapshotHeader = 1 + NumWindows*8 + 1 + 8 + 4

func recordSize(depth int) int {
	return 8 + 8 + NumWindows*WindowBuckets*2 + 1 + 1 + depth*16
}

// ErrSnapshot is wrapped by every error Restore returns for bad input.
var ErrSnapshot = errors.New("behaviour: bad snapshot")

// AppendSnapshot appends the state to dst and returns the extended slice.
// The owner of a partition calls it to persist the state (for example at
// each offset commit) and hands the bytes to Restore when a worker takes
// the partition over.
func (s *Senders) AppendSnapshot(dst []byte) []byte {
	start := len(dst)
	depth := s.cfg.RepeatDepth
	dst = append(dst, snapshotVersion)
	for _, w := range s.cfg.Windows {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(w))
	}
	dst = append(dst, byte(depth))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(s.latest))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.index)))
	for i := s.oldest; i >= 0; i = s.recs[i].prev {
		r := &s.recs[i]
		dst = binary.LittleEndian.AppendUint64(dst, r.key)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.last))
		for w := range r.counts {
			for _, c := range r.counts[w] {
				dst = binary.LittleEndian.AppendUint16(dst, c)
			}
		}
		dst = append(dst, r.head, r.simFlags)
		for _, p := range r.reps[:depth] {
			dst = binary.LittleEndian.AppendUint64(dst, p.sim)
			dst = binary.LittleEndian.AppendUint32(dst, p.exact)
			dst = binary.LittleEndian.AppendUint32(dst, p.sec)
		}
	}
	return seal(dst, start)
}

// seal appends the checksum of the snapshot that starts at dst[start].
func seal(dst []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// unseal checks a sealed snapshot of at least header bytes before its
// checksum: its version byte and its checksum. It returns the snapshot
// without the checksum.
func unseal(b []byte, version byte, header int) ([]byte, error) {
	if len(b) < header+4 {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrSnapshot, len(b))
	}
	if b[0] != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrSnapshot, b[0], version)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrSnapshot)
	}
	return body, nil
}

// Restore replaces the state with a snapshot from AppendSnapshot. The
// snapshot must come from a Senders with the same windows and repeat
// depth. It is checked in full before anything changes: on error the state
// is left as it was. If the snapshot holds more records than MaxSenders,
// the least recently touched are dropped.
func (s *Senders) Restore(b []byte) error {
	depth := s.cfg.RepeatDepth
	body, err := unseal(b, snapshotVersion, snapshotHeader)
	if err != nil {
		return err
	}
	p := body[1:]
	for i, w := range s.cfg.Windows {
		if got := time.Duration(binary.LittleEndian.Uint64(p[8*i:])); got != w {
			return fmt.Errorf("%w: window %d is %v, configured %v", ErrSnapshot, i, got, w)
		}
	}
	p = p[8*NumWindows:]
	if int(p[0]) != depth {
		return fmt.Errorf("%w: repeat depth %d, configured %d", ErrSnapshot, p[0], depth)
	}
	latest := int64(binary.LittleEndian.Uint64(p[1:]))
	count := int(binary.LittleEndian.Uint32(p[9:]))
	p = p[13:]
	size := recordSize(depth)
	if len(p)%size != 0 || len(p)/size != count {
		return fmt.Errorf("%w: %d bytes of records for a count of %d", ErrSnapshot, len(p), count)
	}
	recs := make([]record, count)
	seen := make(map[uint64]struct{}, count)
	for i := range recs {
		r, q := &recs[i], p[i*size:(i+1)*size]
		r.key = binary.LittleEndian.Uint64(q)
		r.last = int64(binary.LittleEndian.Uint64(q[8:]))
		q = q[16:]
		for w := range r.counts {
			for k := range r.counts[w] {
				r.counts[w][k] = binary.LittleEndian.Uint16(q)
				q = q[2:]
			}
		}
		r.head, r.simFlags = q[0], q[1]
		q = q[2:]
		if int(r.head) >= depth || r.simFlags>>depth != 0 {
			return fmt.Errorf("%w: record %d: repeat ring head %d flags %#x", ErrSnapshot, i, r.head, r.simFlags)
		}
		for j := range depth {
			r.reps[j] = repeat{
				sim:   binary.LittleEndian.Uint64(q),
				exact: binary.LittleEndian.Uint32(q[8:]),
				sec:   binary.LittleEndian.Uint32(q[12:]),
			}
			q = q[16:]
		}
		if r.last > latest {
			return fmt.Errorf("%w: record %d is later than the latest event", ErrSnapshot, i)
		}
		if _, dup := seen[r.key]; dup {
			return fmt.Errorf("%w: record %d: duplicate key", ErrSnapshot, i)
		}
		seen[r.key] = struct{}{}
	}

	if drop := count - s.cfg.MaxSenders; drop > 0 {
		recs = recs[drop:]
	}
	s.index = make(map[uint64]int32, len(recs))
	s.recs = recs
	s.free, s.newest, s.oldest = -1, -1, -1
	s.latest = latest
	for i := range s.recs {
		s.index[s.recs[i].key] = int32(i)
		s.linkNewest(int32(i))
	}
	return nil
}
