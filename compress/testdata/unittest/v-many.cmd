python -m unittest -v test_lib
