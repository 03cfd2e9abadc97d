# syntax=docker/dockerfile:1
# Multi-stage build: a static binary in a small, non-root runtime image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fieldops ./cmd/fieldops

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fieldops /usr/local/bin/fieldops
USER nonroot:nonroot
ENV FIELDOPS_HTTP_ADDR=:8080 FIELDOPS_STORAGE_DIR=/var/lib/fieldops/blobs
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/fieldops"]
CMD ["serve"]
