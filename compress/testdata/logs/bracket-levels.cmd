./build.sh
