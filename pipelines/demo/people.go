package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// user is one demo account.
type user struct {
	party engine.Party
	lang  string // the language the user mostly writes in
	// home is the space type staff and officials work in; empty for others.
	home engine.SpaceType
	// joinedAgo is how long before the generator started the account was
	// made (for an account made for a spam wave: before its first post);
	// zero when the platform does not say.
	joinedAgo time.Duration
}

// Sizes of the demo user pool: ids user-0001 to user-0200 in this order.
const (
	numOfficials = 4
	numStaff     = 12
	numBusiness  = 16
	numTeens     = 20
	numChildren  = 10
	numUsers     = 200
)

// staffHomes are where the staff members work, in id order: counsellors,
// legal desk, civil complaints and the rest.
var staffHomes = [numStaff]engine.SpaceType{
	engine.SpaceYouth, engine.SpaceYouth, engine.SpaceYouth,
	engine.SpaceLegal, engine.SpaceLegal,
	engine.SpacePlaza, engine.SpacePlaza,
	engine.SpaceHR, engine.SpaceTourism, engine.SpaceLibrary,
	engine.SpaceEvent, engine.SpaceBusiness,
}

// demoUsers returns the user pool. It does not depend on the generator's
// seed, so user-0042 is the same person in every run.
func demoUsers() []*user {
	rng := rand.New(rand.NewPCG(200, 1))
	// Account ages come from a stream of their own, so that adding them
	// left everyone's role, age band and language as they were.
	joined := rand.New(rand.NewPCG(200, 2))
	users := make([]*user, numUsers)
	for i := range users {
		u := &user{
			party: engine.Party{ID: fmt.Sprintf("user-%04d", i+1), Role: engine.RoleCitizen, AgeBand: engine.AgeAdult},
			lang:  "ko",
		}
		englishPercent := 20
		switch {
		case i < numOfficials:
			u.party.Role, u.home, englishPercent = engine.RoleOfficial, engine.SpaceMayorOffice, 0
		case i < numOfficials+numStaff:
			u.party.Role, u.home, englishPercent = engine.RoleStaff, staffHomes[i-numOfficials], 10
		case i < numOfficials+numStaff+numBusiness:
			u.party.Role = engine.RoleBusiness
		case i < numOfficials+numStaff+numBusiness+numTeens:
			u.party.AgeBand, englishPercent = engine.AgeTeen, 10
		case i < numOfficials+numStaff+numBusiness+numTeens+numChildren:
			u.party.AgeBand, englishPercent = engine.AgeChild, 10
		default:
			// The platform does not know every citizen's age.
			if rng.IntN(100) < 15 {
				u.party.AgeBand = engine.AgeUnknown
			}
		}
		if rng.IntN(100) < englishPercent {
			u.lang = "en"
		}
		u.joinedAgo = accountAge(joined, u)
		users[i] = u
	}
	return users
}

// accountAge is how long ago u's account was made: years for officials and
// staff, weeks to years for everyone else, unknown for some citizens and
// businesses (the platform did not always record it). None of the pool is
// new: the accounts of a day or less belong to spam waves and newcomers.
func accountAge(rng *rand.Rand, u *user) time.Duration {
	const day = 24 * time.Hour
	days := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * day }
	switch {
	case u.party.Role == engine.RoleOfficial || u.party.Role == engine.RoleStaff:
		return days(365, 6*365)
	case u.party.AgeBand.Minor():
		return days(30, 2*365)
	case rng.IntN(100) < 12:
		return 0
	case u.party.Role == engine.RoleBusiness:
		return days(90, 3*365)
	}
	return days(14, 4*365)
}

func (g *Generator) pickUser() *user { return g.users[g.rng.IntN(len(g.users))] }

// pickUserIn picks someone to join a conversation in a space of type st;
// minors rarely turn up outside youth spaces.
func (g *Generator) pickUserIn(st engine.SpaceType) *user {
	for {
		u := g.pickUser()
		if !u.party.AgeBand.Minor() || st == engine.SpaceYouth || g.rng.IntN(100) < 10 {
			return u
		}
	}
}

// pickLang is the language of the next thing u writes: mostly their own.
func (g *Generator) pickLang(u *user) string {
	if g.rng.IntN(100) < 92 {
		return u.lang
	}
	if u.lang == "en" {
		return "ko"
	}
	return "en"
}

// spaces are the places of the world, by type.
var spaces = map[engine.SpaceType][]string{
	engine.SpacePlaza:       {"central-plaza", "civil-complaints-desk", "plaza-fountain"},
	engine.SpaceMayorOffice: {"mayor-office", "mayor-town-hall"},
	engine.SpaceYouth:       {"youth-counselling", "youth-lounge", "youth-study-room"},
	engine.SpaceBusiness:    {"fintech-booth-1", "fintech-booth-2", "startup-support-center"},
	engine.SpaceLegal:       {"legal-desk-1", "legal-desk-2"},
	engine.SpaceHR:          {"job-fair-hall", "recruitment-office"},
	engine.SpaceTourism:     {"tourism-info-center", "hangang-viewpoint"},
	engine.SpaceLibrary:     {"library-hall", "digital-archive"},
	engine.SpaceEvent:       {"festival-stage", "lantern-festival-grounds"},
}

// Where adults without a workplace go, and where minors go.
var (
	adultSpaces = []weighted[engine.SpaceType]{
		{engine.SpacePlaza, 22}, {engine.SpaceMayorOffice, 8}, {engine.SpaceYouth, 4},
		{engine.SpaceBusiness, 12}, {engine.SpaceLegal, 9}, {engine.SpaceHR, 9},
		{engine.SpaceTourism, 12}, {engine.SpaceLibrary, 10}, {engine.SpaceEvent, 14},
	}
	minorSpaces = []weighted[engine.SpaceType]{
		{engine.SpaceYouth, 78}, {engine.SpaceLibrary, 8}, {engine.SpaceEvent, 8},
		{engine.SpacePlaza, 4}, {engine.SpaceTourism, 2},
	}
)

// pickSpace picks where u is: minors mostly in youth spaces, staff mostly
// where they work, business users mostly at the booths.
func (g *Generator) pickSpace(u *user) engine.Space {
	var st engine.SpaceType
	switch {
	case u.party.AgeBand.Minor():
		st = pick(g.rng, minorSpaces)
	case u.home != "" && g.rng.IntN(100) < 70:
		st = u.home
	case u.party.Role == engine.RoleBusiness && g.rng.IntN(100) < 65:
		st = engine.SpaceBusiness
	default:
		st = pick(g.rng, adultSpaces)
	}
	ids := spaces[st]
	return engine.Space{ID: ids[g.rng.IntN(len(ids))], Type: st}
}

// weighted is a choice and its weight.
type weighted[T any] struct {
	v T
	w int
}

// pick chooses one of items with probability proportional to its weight.
func pick[T any](rng *rand.Rand, items []weighted[T]) T {
	total := 0
	for _, it := range items {
		total += it.w
	}
	n := rng.IntN(total)
	for _, it := range items {
		if n < it.w {
			return it.v
		}
		n -= it.w
	}
	panic("unreachable")
}

// mix64 is the SplitMix64 finaliser: a bijection on uint64 that scatters
// consecutive inputs.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
