"""The built-in maps providers: Nominatim (geocoding), OSRM (routes) and deep links to the common map apps."""
