git merge feature
