-- The tracker store's database beside the business one (docker-compose.yml; `make cluster` creates both).
CREATE DATABASE anxin;
CREATE DATABASE anxin_tracker;
