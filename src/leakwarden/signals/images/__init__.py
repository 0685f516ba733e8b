"""Images and scans as subjects: OCR text for every detector, word boxes for evidence regions, PDQ
and MD5 hashes matched against banked images and banked PDFs' pages (see README.md, "Images")."""
