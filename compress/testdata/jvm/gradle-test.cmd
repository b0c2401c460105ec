./gradlew build
