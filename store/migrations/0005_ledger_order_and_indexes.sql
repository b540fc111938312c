DROP INDEX "usage_records_batch_idx";--> statement-breakpoint
ALTER TABLE "authorisation_events" ADD COLUMN "seq" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_records_created_idx" ON "usage_records" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "usage_records_pending_idx" ON "usage_records" USING btree ("created_at","id") WHERE "usage_records"."batch_id" is null;--> statement-breakpoint
CREATE INDEX "usage_records_batch_idx" ON "usage_records" USING btree ("batch_id","leaf_index") WHERE "usage_records"."batch_id" is not null;--> statement-breakpoint
-- Hand-written (drizzle-kit does not model deferrable constraints): a batch's records take its id
-- while its Merkle root is still being computed, and the batch row follows in the same transaction.
ALTER TABLE "usage_records" ALTER CONSTRAINT "usage_records_batch_id_anchor_batches_id_fk" DEFERRABLE INITIALLY DEFERRED;
