grep -rn 'func ' compress/*.go nosuchdir.go jobs/*.go output/*.go
