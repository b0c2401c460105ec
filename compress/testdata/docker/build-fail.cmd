docker build --progress=plain -t shop-api .
