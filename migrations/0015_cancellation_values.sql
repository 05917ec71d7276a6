-- A new enum value can be used only once the transaction adding it has committed, so the values
-- cancellation needs get a migration of their own (0016 uses them).
ALTER TYPE order_status ADD VALUE 'CANCELLED';
ALTER TYPE stock_movement_reason ADD VALUE 'cancel';
