git diff c4b016e 0657b7f -- output jobs
