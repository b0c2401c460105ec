git show 3f0eac4
