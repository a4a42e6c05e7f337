<?php
echo "Serveur : " . gethostname() . "\n";
?>
