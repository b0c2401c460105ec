package jobs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestEventsFollowResume: a follower of the whole root prints each
// lifecycle event of 100 jobs launched by 4 concurrent launchers (each its
// own Service, as separate processes would be) exactly once and in order
// per job; a follower stopped midway and resumed with since (the time of
// its last line) misses nothing.
func TestEventsFollowResume(t *testing.T) {
	if testing.Short() {
		t.Skip("launches 100 jobs")
	}
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	newSvc := func() *Service {
		s, err := New(store, Options{Cwd: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	type follower struct {
		lines chan *EventLine
		stop  context.CancelFunc
		done  chan error
	}
	follow := func(since time.Time) *follower {
		ctx, cancel := context.WithCancel(t.Context())
		f := &follower{lines: make(chan *EventLine, 1000), stop: cancel, done: make(chan error, 1)}
		s := newSvc()
		go func() {
			f.done <- s.Events(ctx, nil, since, true, func(l *EventLine) error {
				f.lines <- l
				return nil
			})
		}()
		return f
	}
	// A follower that starts before any job: it must see the root change.
	a := follow(time.Time{})
	const launchers, perLauncher = 4, 25
	var wg sync.WaitGroup
	for range launchers {
		s := newSvc()
		wg.Go(func() {
			for range perLauncher {
				if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	seen := map[string]*EventLine{} // by id, over both followers
	perJob := map[string][]string{}
	take := func(f *follower, n int, within time.Duration) []*EventLine {
		var got []*EventLine
		deadline := time.After(within)
		for len(got) < n {
			select {
			case l := <-f.lines:
				got = append(got, l)
			case <-deadline:
				return got
			}
		}
		return got
	}
	check := func(who string, lines []*EventLine) {
		ids := map[string]bool{}
		for _, l := range lines {
			if ids[l.ID] {
				t.Errorf("%s printed %s twice", who, l.ID)
			}
			ids[l.ID] = true
			if seen[l.ID] == nil {
				seen[l.ID] = l
				perJob[l.JobID] = append(perJob[l.JobID], l.Event)
			}
		}
	}
	const want = launchers * perLauncher * 3 // created, started, exited
	first := take(a, want/2, 60*time.Second)
	a.stop()
	<-a.done
	if len(first) == 0 {
		t.Fatal("the first follower saw nothing")
	}
	check("first follower", first)
	b := follow(first[len(first)-1].Time.Time)
	wg.Wait()
	// The second follower replays from ResumeSlack before the cursor: it
	// may print lines the first did; every line it prints is new to it.
	for deadline := time.Now().Add(60 * time.Second); len(seen) < want && time.Now().Before(deadline); {
		check("second follower", take(b, 1, time.Until(deadline)))
	}
	b.stop()
	if err := <-b.done; err != nil {
		t.Fatal(err)
	}
	if len(seen) != want {
		t.Fatalf("%d distinct events seen, want %d", len(seen), want)
	}
	if len(perJob) != launchers*perLauncher {
		t.Fatalf("%d jobs seen, want %d", len(perJob), launchers*perLauncher)
	}
	for id, evs := range perJob {
		if !slices.Equal(evs, []string{"created", "started", "exited"}) {
			t.Errorf("job %s: events %v", id, evs)
		}
	}

}
