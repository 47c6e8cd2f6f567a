"""Price, 5-minute volume and trades per mint merged from several price sources."""
