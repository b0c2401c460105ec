package cli

// verbs maps the job commands to their implementations.
var verbs = map[string]func(root string, args []string) int{}
