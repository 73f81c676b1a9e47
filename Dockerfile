# The studio as a container. CPU by default; for NVIDIA GPUs build with --build-arg TORCH_BACKEND=cuda (TorchSharp's
# CUDA libtorch from nuget.org) and run with the GPU reserved (see docker-compose.yml).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND=cpu
WORKDIR /src
COPY . .
RUN dotnet publish src/StyleStudio.Web -c Release -o /app -p:TorchBackend=${TORCH_BACKEND} \
 && dotnet publish src/StyleStudio.Cli -c Release -o /app/cli -p:TorchBackend=${TORCH_BACKEND}

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# METEOR's synonym stage reads the WordNet 3.0 dictionary files, which Debian's wordnet-base puts in /usr/share/wordnet.
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Datasets, runs, the Hangfire queue and uploads live in /data; Hugging Face model folders are read from /models.
ENV STYLESTUDIO_DATA=/data \
    Studio__ModelsFolder=/models \
    ASPNETCORE_URLS=http://+:8080
VOLUME ["/data", "/models"]
EXPOSE 8080
ENTRYPOINT ["dotnet", "StyleStudio.Web.dll"]
