"""Typed answers of the HTTP API: the response models that /openapi.json publishes and the
dashboard's TypeScript types are generated from (web/src/api-types.ts). Field names and shapes
are the JSON the dashboard reads; change them here and regenerate (`make api-types`)."""
