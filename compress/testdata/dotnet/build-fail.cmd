dotnet build
