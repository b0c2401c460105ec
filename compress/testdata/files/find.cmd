find /usr/share/zoneinfo/Europe /nonexistent /usr/share/zoneinfo/America
