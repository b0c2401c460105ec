git log
