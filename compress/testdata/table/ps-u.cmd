ps u --sid 7217
