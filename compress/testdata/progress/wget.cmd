wget --progress=dot -O /dev/null http://127.0.0.1:18766/big.bin
