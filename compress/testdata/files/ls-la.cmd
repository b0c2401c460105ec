ls -la /usr/lib/x86_64-linux-gnu /nonexistent
