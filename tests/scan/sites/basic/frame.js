document.cookie = "frame_js=f2; max-age=86400; path=/; SameSite=None; Secure";
