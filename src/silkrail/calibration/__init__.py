"""Published figures, fitting the cost model to them, and the accuracy report on held-out folds."""
