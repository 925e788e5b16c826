"""netlab capture: libpcap capture, a fast struct-based decoder and tcpdump-identical lines."""
