"""netlab capture: libpcap capture and reading, a tcpdump-identical formatter, a pcap writer."""
