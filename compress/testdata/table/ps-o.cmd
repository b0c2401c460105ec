ps -o pid,ppid,stat,etime,rss,cmd --sid 7217
