cat compress/select.go
