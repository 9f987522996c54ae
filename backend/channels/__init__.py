"""Where customers really are: the web chat's stream and page (more channels join here)."""
