"""One Helm chart per workload: fixed templates (`fixed/`, package data) and generated values."""
