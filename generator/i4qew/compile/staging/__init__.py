"""A model-staging chart per model and environment: fixed templates (`fixed/`, package data), generated values, desired state and names."""
