package mcphttp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"

	"github.com/mark3labs/mcp-go/server"
)

// errUnknownSession is what Validate says of an id it did not issue or
// that has ended; mcp-go answers 404, which tells the client to start a
// new session.
var errUnknownSession = errors.New("unknown session")

// sessions is the session id manager: it issues unguessable ids, knows
// which are live, and caps how many are open at once. mcp-go calls
// Generate for an initialize request, Validate for every later one, and
// Terminate on DELETE, idle expiry and shutdown.
type sessions struct {
	max int
	log *slog.Logger

	mu      sync.Mutex
	live    map[string]struct{} // guarded by mu
	pending int                 // initialize requests admitted and not finished; guarded by mu

	ended chan<- string // tests: told the id of every session that ends
}

var _ server.SessionIdManager = (*sessions)(nil)

func newSessions(max int, log *slog.Logger) *sessions {
	return &sessions{max: max, log: log, live: make(map[string]struct{})}
}

// admit reserves room for one more session, for an initialize request
// about to be served; it reports false when the sessions open and being
// opened already reach the limit. Every admit that returned true is
// followed by one admitted.
func (s *sessions) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live)+s.pending >= s.max {
		return false
	}
	s.pending++
	return true
}

// admitted ends the reservation of admit: the session is live by now, or
// its initialize failed.
func (s *sessions) admitted() {
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
}

func (s *sessions) known(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live[id]
	return ok
}

// Generate issues a new session id: 128 random bits.
func (s *sessions) Generate() string {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.live[id] = struct{}{}
	s.mu.Unlock()
	return id
}

// Validate reports an error for an id that is not live.
func (s *sessions) Validate(id string) (isTerminated bool, err error) {
	if !s.known(id) {
		return false, errUnknownSession
	}
	return false, nil
}

// Terminate ends session id; ending an unknown one is no error.
func (s *sessions) Terminate(id string) (isNotAllowed bool, err error) {
	s.mu.Lock()
	_, ok := s.live[id]
	delete(s.live, id)
	s.mu.Unlock()
	if ok {
		s.log.Info("session ended", "session", id)
		if s.ended != nil {
			s.ended <- id
		}
	}
	return false, nil
}
