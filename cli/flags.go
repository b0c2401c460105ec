package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/agent-exec/agent-exec/jobs"
)

// flagSet is one verb's flags. Every multi-word flag is named in snake_case
// like the tool argument it sets (--wait_for) and also answers to its
// kebab-case spelling (--wait-for).
type flagSet struct {
	*flag.FlagSet
	verb     string
	synopsis string            // the usage line after "agent-exec "
	aliases  map[string]string // kebab-case name → snake_case name
	root     string            // --root, accepted after the verb too
	noAutoGC bool              // --no_auto_gc of the verbs that launch
	config   string            // --config, accepted after the verb too
}

func newFlagSet(verb, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(verb, flag.ContinueOnError), verb: verb, synopsis: synopsis}
	fs.SetOutput(io.Discard) // errors and usage are printed by usageError
	fs.StringVar(&fs.root, "root", "", "the jobs root `DIR`")
	fs.StringVar(&fs.config, "config", "", "the configuration `FILE` (default: $XDG_CONFIG_HOME/agent-exec/config.toml)")
	return fs
}

// addAliases registers the kebab-case spelling of every multi-word flag
// defined so far; call it once all flags are defined.
func (fs *flagSet) addAliases() {
	fs.aliases = make(map[string]string)
	var snake []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if strings.Contains(f.Name, "_") {
			snake = append(snake, f)
		}
	})
	for _, f := range snake {
		kebab := strings.ReplaceAll(f.Name, "_", "-")
		fs.Var(f.Value, kebab, f.Usage)
		fs.aliases[kebab] = f.Name
	}
}

// parseInterleaved parses args where flags and positional arguments may
// come in any order (JOB before or after the flags); "--" ends the flags.
func (fs *flagSet) parseInterleaved(args []string) ([]string, error) {
	if err := fs.checkBoolWords(args, false); err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseLeading parses the flags before the first positional argument (or
// "--"); everything from there on is returned as is: it is the command.
func (fs *flagSet) parseLeading(args []string) ([]string, error) {
	if err := fs.checkBoolWords(args, true); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

// checkBoolWords refuses a boolean flag followed by a separate true or
// false (--inherit-env false): the flag package would set the flag and take
// the word as the command or JOB, silently running false. The value goes
// with an = (--inherit-env=false). With leading, the flags end at the first
// positional argument (the command); otherwise they may come anywhere
// before "--".
func (fs *flagSet) checkBoolWords(args []string, leading bool) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil
		}
		if len(a) < 2 || a[0] != '-' {
			if leading {
				return nil
			}
			continue
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if i+1 < len(args) && isBoolWord(args[i+1]) {
				w := args[i+1]
				return fmt.Errorf("%s takes no separate value: write %s=%s, or put -- before a command named %s", a, a, strings.ToLower(w), w)
			}
			continue
		}
		i++ // the flag's value
	}
	return nil
}

func isBoolWord(s string) bool { return strings.EqualFold(s, "true") || strings.EqualFold(s, "false") }

// isSet reports whether the flag name was given on the command line.
func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// usage writes the verb's synopsis and flags to w.
func (fs *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: agent-exec %s\n", fs.synopsis)
	kebab := make(map[string]string, len(fs.aliases))
	for k, s := range fs.aliases {
		kebab[s] = k
	}
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if _, alias := fs.aliases[f.Name]; alias {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(&b, "  %s%s", dash, f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		if k, ok := kebab[f.Name]; ok {
			fmt.Fprintf(&b, " (or --%s)", k)
		}
		fmt.Fprintf(&b, "\n    \t%s\n", strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nflags:\n%s", b.String())
	}
}

// usageError reports a failed parse: -h prints the usage on stdout and
// exits 0; anything else prints the error and the usage on stderr and
// exits 125 (exitUsage). No JSON is printed either way.
func (fs *flagSet) usageError(s stdio, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.usage(s.out)
		return exitOK
	}
	fmt.Fprintf(s.err, "agent-exec %s: %v\n", fs.verb, err)
	fs.usage(s.err)
	return exitUsage
}

// floatPtr is a float flag that stays nil unless given.
type floatPtr struct{ p **float64 }

func (v floatPtr) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.FormatFloat(**v.p, 'g', -1, 64)
}

func (v floatPtr) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("want a number")
	}
	*v.p = &f
	return nil
}

// int64Ptr is an integer flag that stays nil unless given.
type int64Ptr struct{ p **int64 }

func (v int64Ptr) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.FormatInt(**v.p, 10)
}

func (v int64Ptr) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	*v.p = &n
	return nil
}

// boolPtr is a boolean flag that stays nil unless given (--x or --x=false).
type boolPtr struct{ p **bool }

func (v boolPtr) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.FormatBool(**v.p)
}

func (v boolPtr) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v.p = &b
	return nil
}

func (v boolPtr) IsBoolFlag() bool { return true }

// stringPtr is a string flag that stays nil unless given, so that an empty
// value can be told from none.
type stringPtr struct{ p **string }

func (v stringPtr) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return **v.p
}

func (v stringPtr) Set(s string) error {
	*v.p = &s
	return nil
}

// stringList is a repeatable string flag.
type stringList struct{ p *[]string }

func (v stringList) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v stringList) Set(s string) error {
	*v.p = append(*v.p, s)
	return nil
}

// envFlag is the repeatable --env KEY=VALUE.
type envFlag struct{ p *map[string]string }

func (v envFlag) String() string {
	if v.p == nil {
		return ""
	}
	keys := make([]string, 0, len(*v.p))
	for k := range *v.p {
		keys = append(keys, k)
	}
	return strings.Join(keys, ",")
}

func (v envFlag) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.New("want KEY=VALUE")
	}
	if *v.p == nil {
		*v.p = make(map[string]string)
	}
	(*v.p)[k] = val
	return nil
}

// sizeFlag is a byte count: a number, or one with a unit (64K, 10MiB).
type sizeFlag struct{ p *int64 }

func (v sizeFlag) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v sizeFlag) Set(s string) error {
	n, err := jobs.ParseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}
