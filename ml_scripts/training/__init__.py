"""Training step: XGBoost on log1p(SalePrice), early stopping on validation."""
