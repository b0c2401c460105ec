python3 -m http.server 18765 --bind 127.0.0.1
