print("ladon-encoder: under construction")
