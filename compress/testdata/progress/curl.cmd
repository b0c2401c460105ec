curl -o /dev/null http://127.0.0.1:18765/big.bin
