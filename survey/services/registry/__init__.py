"""The province's registry: agencies, sectors, procedures, service points, their tree and the targets."""
