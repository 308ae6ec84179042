-- Placeholder so migration numbers stay in order while another branch lands this number.
SELECT 1;
