ALTER TABLE "compute_nodes" ADD COLUMN "kind" text DEFAULT 'owner' NOT NULL;--> statement-breakpoint
ALTER TABLE "compute_nodes" ADD COLUMN "encryption_key" text;