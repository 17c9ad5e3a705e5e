"""ACM hub resources: subscription delivery, placements, names, the bootstrap manifests."""
