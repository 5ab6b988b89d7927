"""Camera frames with exact labels: camera model, rasterizer, weather and lighting, labels."""
