gcc -Wall -Wextra -Isrc -c src/util.c src/parse.c
