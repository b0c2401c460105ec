cargo build --message-format=json
