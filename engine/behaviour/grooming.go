package behaviour

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/haechi-tns/haechi/engine"
)

// numCues is the number of grooming cues the engine defines.
var numCues = len(engine.GroomingCues)

// groomDays is how many distinct cue days a conversation remembers.
const groomDays = 8

// conversation is what one (adult, minor) pair, or one adult in one youth
// space, has shown within the grooming window. Times are Unix seconds.
type conversation struct {
	// cueAt is when each cue (engine.GroomingCues order) was last seen; 0
	// for never.
	cueAt [16]int64
	// days are the distinct days (Unix days) with a cue, most recent last.
	days        [groomDays]int32
	ndays       int
	messages    uint32
	cueMessages uint32
	// first and last are the first and latest message counted.
	first, last int64
}

// observe counts one message with cues at time at (Unix seconds) and
// returns the conversation's history within window (seconds).
func (c *conversation) observe(cues []engine.GroomingCue, at, window int64) engine.GroomingHistory {
	if c.last != 0 && c.last < at-window {
		*c = conversation{}
	}
	if c.first == 0 {
		c.first = at
	}
	c.last = max(c.last, at)
	c.messages++
	if len(cues) > 0 {
		c.cueMessages++
		for _, cue := range cues {
			if i := slices.Index(engine.GroomingCues, cue); i >= 0 {
				c.cueAt[i] = max(c.cueAt[i], at)
			}
		}
		day := int32(at / 86400)
		if !slices.Contains(c.days[:c.ndays], day) {
			if c.ndays == groomDays {
				copy(c.days[:], c.days[1:])
				c.ndays--
			}
			c.days[c.ndays] = day
			c.ndays++
		}
	}
	h := engine.GroomingHistory{Cues: []engine.GroomingCue{}, Messages: int(c.messages), CueMessages: int(c.cueMessages)}
	for i, t := range c.cueAt[:numCues] {
		if t != 0 && t >= at-window {
			h.Cues = append(h.Cues, engine.GroomingCues[i])
		}
	}
	from := int32((at - window) / 86400)
	for _, d := range c.days[:c.ndays] {
		if d >= from {
			h.Days++
		}
	}
	return h
}

// conversationSize is the encoded size of a conversation with its key.
const conversationSize = 8 + 16*8 + groomDays*4 + 1 + 4 + 4 + 8 + 8

func appendConversation(dst []byte, key uint64, c *conversation) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, key)
	for _, t := range c.cueAt {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(t))
	}
	for _, d := range c.days {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(d))
	}
	dst = append(dst, byte(c.ndays))
	dst = binary.LittleEndian.AppendUint32(dst, c.messages)
	dst = binary.LittleEndian.AppendUint32(dst, c.cueMessages)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(c.first))
	return binary.LittleEndian.AppendUint64(dst, uint64(c.last))
}

func readConversation(b []byte) (uint64, conversation, error) {
	var c conversation
	key := binary.LittleEndian.Uint64(b)
	b = b[8:]
	for i := range c.cueAt {
		c.cueAt[i] = int64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for i := range c.days {
		c.days[i] = int32(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	c.ndays = int(b[0])
	c.messages = binary.LittleEndian.Uint32(b[1:])
	c.cueMessages = binary.LittleEndian.Uint32(b[5:])
	c.first = int64(binary.LittleEndian.Uint64(b[9:]))
	c.last = int64(binary.LittleEndian.Uint64(b[17:]))
	if c.ndays > groomDays || c.first > c.last {
		return 0, c, fmt.Errorf("%w: conversation record out of range", ErrSnapshot)
	}
	return key, c, nil
}
