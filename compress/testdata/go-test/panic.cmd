go test -v ./calc
