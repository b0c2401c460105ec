pstree
